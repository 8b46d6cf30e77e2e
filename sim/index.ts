// Public API of sim/ (filled in as the area lands).
export {};
