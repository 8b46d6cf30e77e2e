export { OrderEnforcing } from './order-enforcing.js';
export { TimeLimit } from './time-limit.js';
export { PassiveEnvChecker } from './passive-env-checker.js';
