// The browser bench page: bench/measure.ts, bench/rows.ts and bench/adam-update.ts, for bench/browser.ts to call through puppeteer.
import { measure } from './measure.js';
import { rowTimings } from './rows.js';
import { adamTimings } from './adam-update.js';

Object.assign(globalThis, { shapedVitBench: { measure, rowTimings, adamTimings } });
