import type { DeviceName, DeviceRequest } from './types.js';

/** The GPU execution provider worth trying on this platform, if any. */
export const platformGpu = (
  platform: NodeJS.Platform = process.platform,
  arch: string = process.arch,
): DeviceName | undefined => {
  if (platform === 'linux' && arch === 'x64') return 'cuda';
  if (platform === 'win32') return 'dml';
  if (platform === 'darwin') return 'coreml';
  return undefined;
};

export interface DeviceChoice<T> {
  value: T;
  device: DeviceName;
  deviceReason: string;
}

const firstLine = (error: unknown): string =>
  (error instanceof Error ? error.message : String(error)).split('\n')[0].trim();

/**
 * Opens something (an onnxruntime session) on the requested device. `auto` tries the platform's
 * GPU provider and falls back to cpu on any failure, saying why; a forced device that cannot start
 * is an error, never a silent fallback.
 */
export const openOnDevice = async <T>(
  request: DeviceRequest,
  open: (device: DeviceName) => Promise<T>,
  platform: NodeJS.Platform = process.platform,
  arch: string = process.arch,
): Promise<DeviceChoice<T>> => {
  if (request === 'cpu')
    return { value: await open('cpu'), device: 'cpu', deviceReason: 'cpu requested' };
  if (request !== 'auto') {
    try {
      return { value: await open(request), device: request, deviceReason: `${request} requested` };
    } catch (error) {
      throw new Error(
        `Device "${request}" was requested but onnxruntime could not start it: ${firstLine(error)}. ` +
          `Use device "auto" (falls back to cpu) or "cpu", or install onnxruntime-node's ${request} support.`,
        { cause: error },
      );
    }
  }
  const gpu = platformGpu(platform, arch);
  if (!gpu) {
    return {
      value: await open('cpu'),
      device: 'cpu',
      deviceReason: `no GPU execution provider for ${platform}-${arch}; using cpu`,
    };
  }
  try {
    return { value: await open(gpu), device: gpu, deviceReason: `${gpu} available` };
  } catch (error) {
    return {
      value: await open('cpu'),
      device: 'cpu',
      deviceReason: `${gpu} unavailable (${firstLine(error)}); fell back to cpu`,
    };
  }
};
