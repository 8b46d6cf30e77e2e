export { Space, type SpaceJSON, type BoxDtype, shapeString } from './space.js';
export { Box, type BoxArray } from './box.js';
export { Discrete } from './discrete.js';
export { MultiDiscrete } from './multi-discrete.js';
export { MultiBinary } from './multi-binary.js';
export { Dict } from './dict.js';
export { Tuple } from './tuple.js';
export { Text, type TextOptions, type TextRange, textRanges, ALPHANUMERIC, INSTRUCTION_CHARSET } from './text.js';
export { spaceFromJSON } from './from-json.js';
