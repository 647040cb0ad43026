/** Injected by esbuild from package.json; '0.0.0-dev' when running from source. */
declare const PACKAGE_VERSION: string | undefined;

export const TOOL_VERSION: string =
  typeof PACKAGE_VERSION === 'string' ? PACKAGE_VERSION : '0.0.0-dev';
