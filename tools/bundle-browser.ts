// `npm run build:browser` (and prepack): build/browser/shaped-vit.js, the platform-neutral library
// (src/core.ts, with gpu.js and fp-ts inside) as one ES module, for pages without a bundler:
// <script type="module">import { vit } from './shaped-vit.js'</script>. Bundlers use the package's
// `browser` export instead.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Writes `shaped-vit.js` into `outDir` (from the compiled build/src/core.js). */
export async function bundleBrowser(outDir: string): Promise<string> {
  await build({
    configFile: false,
    logLevel: 'error',
    root: repoRoot,
    build: {
      outDir,
      emptyOutDir: true,
      target: 'es2022',
      minify: false,
      lib: { entry: path.join(repoRoot, 'build/src/core.js'), formats: ['es'], fileName: () => 'shaped-vit.js' },
      rolldownOptions: { output: { codeSplitting: false } },
    },
  });
  return path.join(outDir, 'shaped-vit.js');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(await bundleBrowser(path.join(repoRoot, 'build/browser')));
}
