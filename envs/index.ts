// Public API of envs/ (filled in as the area lands).
export {};
