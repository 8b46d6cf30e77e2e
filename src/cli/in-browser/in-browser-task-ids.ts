/** Tasks the in-browser loop can build (the keys of `IN_BROWSER_TASKS`; kept apart so the server does not import the envs). */
export const IN_BROWSER_TASK_IDS: readonly string[] = ['ArmReach-v0', 'ArmPush-v0', 'Reacher-v5', 'InvertedPendulum-v5'];
