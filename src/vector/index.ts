// Public API of src/vector (filled in as the area lands).
export {};
