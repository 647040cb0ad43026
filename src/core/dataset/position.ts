// The formats and their positions live in src/shared, where the webview reads them too.
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
} from '../../shared/position.js';
