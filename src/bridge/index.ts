// Public API of src/bridge (filled in as the area lands).
export {};
