// Public API of src/bench (filled in as the area lands).
export {};
