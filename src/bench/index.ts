// Public API of src/bench: policy evaluation (benchmark reports join as the area lands).
export { evaluatePolicy, type EvaluatePolicyOptions, type PolicyEvaluation } from './evaluate-policy.js';
