/** Rollouts the learner may hold unacknowledged (its consumer's `max_ack_pending`): the most `--rollouts-per-update` can be. */
export const MAX_HELD_ROLLOUTS = 16;
