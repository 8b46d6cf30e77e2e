// Public API of src/streams (filled in as the area lands).
export {};
