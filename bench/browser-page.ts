// The browser bench page: bench/measure.ts and bench/rows.ts, for bench/browser.ts to call through puppeteer.
import { measure } from './measure.js';
import { rowTimings } from './rows.js';

Object.assign(globalThis, { shapedVitBench: { measure, rowTimings } });
