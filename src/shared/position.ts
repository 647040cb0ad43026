// The formats and their positions are the reader's (src/core/dataset/position.ts); the webview and
// the other faces read them through here.
export {
  DATASET_EXTENSIONS,
  formatOfPath,
  baseName,
  formatPosition,
  shownPosition,
  isDatasetPath,
  isParquetPath,
  parquetRowIndex,
  type DatasetFormat,
} from '../core/dataset/position.js';
