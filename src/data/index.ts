// Public API of src/data (filled in as the area lands).
export {};
