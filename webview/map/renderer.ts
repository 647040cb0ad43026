/**
 * Draws the map's points: WebGL2 (a point sprite per row; positives filled, negatives as rings;
 * translucent so overlaps build up density) or, where WebGL2 is not available, Canvas 2D.
 * Shaders are plain source strings compiled by the GPU driver: no eval, so the webview's strict
 * CSP holds (regl-scatterplot's regl generates JavaScript with Function(), see docs/report.md).
 */

export interface PointData {
  /** Row-major [n, 2] positions in the view's unit square ([-1, 1] both axes). */
  xy: Float32Array;
  /** RGBA 0..255 per point. */
  rgba: Uint8Array;
  /** +1 filled disc, -1 ring. */
  shape: Float32Array;
}

export interface View {
  /** Zoom factor and offset in unit-square coordinates: screen = xy * zoom + offset. */
  zoom: number;
  ox: number;
  oy: number;
}

export interface Renderer {
  readonly kind: 'webgl2' | 'canvas2d' | 'none';
  setData(data: PointData): void;
  /** Draws `dim` (faded) then `bright` (full alpha); both are point indices. */
  draw(view: View, bright: Uint32Array, dim: Uint32Array, alpha: number, size: number): void;
  resize(width: number, height: number, ratio: number): void;
  dispose(): void;
}

const VERTEX = `#version 300 es
in vec2 a_pos;
in vec4 a_color;
in float a_shape;
uniform vec2 u_scale;
uniform vec2 u_offset;
uniform float u_size;
out vec4 v_color;
out float v_shape;
void main() {
  gl_Position = vec4(a_pos * u_scale + u_offset, 0.0, 1.0);
  gl_PointSize = u_size;
  v_color = a_color;
  v_shape = a_shape;
}`;

const FRAGMENT = `#version 300 es
precision mediump float;
in vec4 v_color;
in float v_shape;
uniform float u_alpha;
out vec4 outColor;
void main() {
  float r = length(gl_PointCoord - vec2(0.5)) * 2.0;
  if (r > 1.0) discard;
  if (v_shape < 0.0 && r < 0.5) discard;
  outColor = vec4(v_color.rgb, v_color.a * u_alpha);
}`;

function compile(gl: WebGL2RenderingContext, type: number, source: string): WebGLShader {
  const shader = gl.createShader(type);
  if (!shader) throw new Error('cannot create a shader');
  gl.shaderSource(shader, source);
  gl.compileShader(shader);
  if (!gl.getShaderParameter(shader, gl.COMPILE_STATUS))
    throw new Error(gl.getShaderInfoLog(shader) ?? 'shader compile error');
  return shader;
}

/**
 * Points per animation frame where WebGL runs on a software rasterizer (SwiftShader, llvmpipe:
 * no GPU, remote desktops, headless browsers): about 10k points take 50 ms there on a busy
 * 2-core machine, so 120k in one frame would be one task of several hundred. A GPU draws them
 * all in one frame.
 */
const SOFTWARE_POINTS_PER_FRAME = 10_000;

/** Whether the context rasterizes on the CPU, by the renderer string the browser reports. */
function softwareRasterizer(gl: WebGL2RenderingContext): boolean {
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  const name = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER) ?? '');
  return /swiftshader|llvmpipe|softpipe|software|basic render/i.test(name);
}

function webgl2(canvas: HTMLCanvasElement): Renderer | null {
  // preserveDrawingBuffer: the map can be read back (screenshots, copies) after compositing.
  const gl = canvas.getContext('webgl2', {
    antialias: false,
    premultipliedAlpha: false,
    preserveDrawingBuffer: true,
  });
  if (!gl) return null;
  const program = gl.createProgram();
  gl.attachShader(program, compile(gl, gl.VERTEX_SHADER, VERTEX));
  gl.attachShader(program, compile(gl, gl.FRAGMENT_SHADER, FRAGMENT));
  gl.linkProgram(program);
  if (!gl.getProgramParameter(program, gl.LINK_STATUS))
    throw new Error(gl.getProgramInfoLog(program) ?? 'program link error');
  gl.useProgram(program);
  const vao = gl.createVertexArray();
  gl.bindVertexArray(vao);
  const attribute = (name: string, size: number, type: number, normalized: boolean) => {
    const buffer = gl.createBuffer();
    const loc = gl.getAttribLocation(program, name);
    gl.bindBuffer(gl.ARRAY_BUFFER, buffer);
    gl.enableVertexAttribArray(loc);
    gl.vertexAttribPointer(loc, size, type, normalized, 0, 0);
    return buffer;
  };
  const pos = attribute('a_pos', 2, gl.FLOAT, false);
  const color = attribute('a_color', 4, gl.UNSIGNED_BYTE, true);
  const shape = attribute('a_shape', 1, gl.FLOAT, false);
  const elements = gl.createBuffer();
  const u = (name: string) => gl.getUniformLocation(program, name);
  const uScale = u('u_scale');
  const uOffset = u('u_offset');
  const uSize = u('u_size');
  const uAlpha = u('u_alpha');
  gl.enable(gl.BLEND);
  gl.blendFunc(gl.SRC_ALPHA, gl.ONE_MINUS_SRC_ALPHA);
  const upload = (buffer: WebGLBuffer, data: ArrayBufferView) => {
    gl.bindBuffer(gl.ARRAY_BUFFER, buffer);
    gl.bufferData(gl.ARRAY_BUFFER, data, gl.STATIC_DRAW);
  };
  // The points of one draw, dim ones first, as one index buffer drawn a chunk per frame.
  let pending = 0;
  let frame = 0;
  const perFrame = softwareRasterizer(gl) ? SOFTWARE_POINTS_PER_FRAME : Infinity;
  const chunk = (from: number, to: number, dimCount: number, alpha: number) => {
    // Dim points (before dimCount) are faded; the uniform changes where the two lists meet.
    if (from < dimCount) {
      gl.uniform1f(uAlpha, Math.min(0.12, alpha));
      const end = Math.min(to, dimCount);
      gl.drawElements(gl.POINTS, end - from, gl.UNSIGNED_INT, 4 * from);
      from = end;
    }
    if (from < to) {
      gl.uniform1f(uAlpha, alpha);
      gl.drawElements(gl.POINTS, to - from, gl.UNSIGNED_INT, 4 * from);
    }
  };
  return {
    kind: 'webgl2',
    setData(data) {
      upload(pos, data.xy);
      upload(color, data.rgba);
      upload(shape, data.shape);
    },
    draw(view, bright, dim, alpha, size) {
      // A draw still under way for an older view or filter gives way to this one.
      if (frame) cancelAnimationFrame(frame);
      frame = 0;
      const draw = ++pending;
      gl.viewport(0, 0, canvas.width, canvas.height);
      gl.clearColor(0, 0, 0, 0);
      gl.clear(gl.COLOR_BUFFER_BIT);
      gl.bindVertexArray(vao);
      gl.uniform2f(uScale, view.zoom, view.zoom);
      gl.uniform2f(uOffset, view.ox, view.oy);
      gl.uniform1f(uSize, size * (window.devicePixelRatio || 1));
      const total = dim.length + bright.length;
      if (!total) return;
      const all = new Uint32Array(total);
      all.set(dim);
      all.set(bright, dim.length);
      gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, elements);
      gl.bufferData(gl.ELEMENT_ARRAY_BUFFER, all, gl.DYNAMIC_DRAW);
      // Rasterizing 100k+ points is one long frame where WebGL runs in software (no GPU, remote
      // desktops): a chunk per frame keeps each task of the page short (issue #15: none over
      // 100 ms). The drawing buffer is preserved, so the chunks add up.
      let from = 0;
      const step = () => {
        frame = 0;
        if (draw !== pending) return;
        const to = Math.min(total, from + perFrame);
        gl.bindVertexArray(vao);
        gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, elements);
        chunk(from, to, dim.length, alpha);
        from = to;
        canvas.setAttribute('data-drawn', String(from));
        if (from < total) frame = requestAnimationFrame(step);
      };
      step();
    },
    resize(width, height, ratio) {
      canvas.width = Math.max(1, Math.round(width * ratio));
      canvas.height = Math.max(1, Math.round(height * ratio));
    },
    dispose() {
      gl.getExtension('WEBGL_lose_context')?.loseContext();
    },
  };
}

function canvas2d(canvas: HTMLCanvasElement): Renderer | null {
  const g = canvas.getContext('2d');
  if (!g) return null;
  let data: PointData | null = null;
  const paint = (indices: Uint32Array, view: View, alpha: number, size: number) => {
    if (!data) return;
    const w = canvas.width;
    const hgt = canvas.height;
    const r = (size * (window.devicePixelRatio || 1)) / 2;
    g.globalAlpha = alpha;
    for (const i of indices) {
      const x = ((data.xy[2 * i] * view.zoom + view.ox + 1) / 2) * w;
      const y = ((1 - (data.xy[2 * i + 1] * view.zoom + view.oy)) / 2) * hgt;
      g.fillStyle = `rgb(${data.rgba[4 * i]}, ${data.rgba[4 * i + 1]}, ${data.rgba[4 * i + 2]})`;
      g.fillRect(x - r, y - r, 2 * r, 2 * r);
    }
  };
  return {
    kind: 'canvas2d',
    setData(d) {
      data = d;
    },
    draw(view, bright, dim, alpha, size) {
      g.clearRect(0, 0, canvas.width, canvas.height);
      paint(dim, view, Math.min(0.12, alpha), size);
      paint(bright, view, alpha, size);
      g.globalAlpha = 1;
    },
    resize(width, height, ratio) {
      canvas.width = Math.max(1, Math.round(width * ratio));
      canvas.height = Math.max(1, Math.round(height * ratio));
    },
    dispose: () => undefined,
  };
}

/** WebGL2 where the browser has it, else Canvas 2D (same drawing, slower past ~50k points), else nothing. */
export function createRenderer(canvas: HTMLCanvasElement): Renderer {
  try {
    const gl = webgl2(canvas);
    if (gl) return gl;
  } catch {
    // A driver that refuses the shaders: fall through to Canvas 2D on a fresh canvas.
  }
  return (
    canvas2d(canvas) ?? {
      // No drawing context at all (a DOM without canvas support): the map stays empty.
      kind: 'none',
      setData: () => undefined,
      draw: () => undefined,
      resize: () => undefined,
      dispose: () => undefined,
    }
  );
}
