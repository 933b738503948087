// The browser bench page: bench/measure.ts, for bench/browser.ts to call through puppeteer.
import { measure } from './measure.js';

Object.assign(globalThis, { shapedVitBench: { measure } });
