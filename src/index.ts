// Public entry point of shaped-vit on Node: the platform-neutral core plus checkpoint files.
// Browsers get core.ts (package.json `exports`, `browser` condition).
export * from './core.js';
export { saveModel, loadModel } from './vit/checkpoint-file.js';
