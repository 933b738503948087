// Dawn's start-up warnings (no Vulkan, reduced limits) reach neither availableBackends()'s caller
// nor the output of `npm test`, and the filter drops exactly those lines.
import test from 'ava';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { availableBackends, setBackend, tensor } from '../src/index.js';
import { dawnWarningFilter } from '../tools/dawn-warnings.js';
import { repoRoot } from './support/cifar-fixture.js';

const built = (p: string) => path.join(repoRoot, 'build', p);
const webgpuHere = (await availableBackends()).includes('webgpu');

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: repoRoot, env: { ...process.env, SHAPED_VIT_DEBUG: '0', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
const script = (code: string) => ['--input-type=module', '-e', code];
const filtered = (text: string) => {
  const drop = dawnWarningFilter();
  return text.split('\n').filter((l) => !drop(l)).join('\n');
};

test('availableBackends() prints nothing: WebGPU is looked for in a child process', async (t) => {
  const r = await run(script(`import { availableBackends } from ${JSON.stringify(pathToFileURL(built('src/index.js')).href)};
    console.log(JSON.stringify(await availableBackends()));`));
  t.is(r.code, 0);
  t.is(r.stderr, '');
  const names = JSON.parse(r.stdout) as string[];
  t.true(names.includes('webasm') && names.includes('cpu'));
  t.is(names.includes('webgpu'), webgpuHere);
});

test('the filter drops Dawn\'s real start-up output and nothing else', async (t) => {
  const r = await run(script(`import { provideNavigatorGpu } from ${JSON.stringify(pathToFileURL(built('src/dsl/webgpu-node.js')).href)};
    console.error('before'); await provideNavigatorGpu(); await new Promise((r) => setTimeout(r, 200)); console.error('after');`));
  t.is(r.code, 0);
  t.is(filtered(r.stderr), 'before\nafter\n');
  t.log(`Dawn printed ${r.stderr.split('\n').length - 3} lines here`);
  const other = ['Warning: something of ours', '    at f (/x/y.js:1)', '', 'text', '  ✘ a failed test'].join('\n');
  t.is(filtered(other), other);
  const dawn = [
    "Warning: Couldn't load Vulkan: libvulkan.so.1: cannot open shared object file: No such file or directory",
    '    at operator() (/home/runner/work/node-webgpu/node-webgpu/third_party/dawn/src/dawn/native/vulkan/BackendVk.cpp:368)',
    '',
    'Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 90 to 16 to fit dynamic offset allocation limit.',
    'ours',
    '',
  ].join('\n');
  t.is(filtered(dawn), 'ours\n');
});

// Run by the next test in its own `npm test` run: it starts Dawn in this process.
test('webgpu evaluates a tensor', async (t) => {
  if (!webgpuHere) return t.pass('no WebGPU adapter on this machine');
  setBackend('webgpu');
  t.deepEqual([...(await tensor([1, 2]).data())], [1, 2]);
});

test('npm test\'s ava run shows no Dawn warnings, while plain ava does', async (t) => {
  const args = [built('test/dawn-warnings.test.js'), '--match', 'webgpu evaluates a tensor'];
  const quiet = await run([built('tools/test.js'), ...args]);
  t.is(quiet.code, 0, quiet.stdout + quiet.stderr);
  t.regex(quiet.stdout, /1 test passed/);
  t.notRegex(quiet.stderr, /Warning:/);
  const plain = await run([path.join(repoRoot, 'node_modules/ava/entrypoints/cli.mjs'), ...args]);
  t.is(plain.code, 0);
  if (webgpuHere && plain.stderr.includes('Warning:')) t.is(filtered(plain.stderr).trim(), quiet.stderr.trim());
});
