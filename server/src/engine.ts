// What the server uses of the engine (addon/lib): the part of Engine it calls, so a test can hand it a wrapper
// around the real engine (e.g. with a device that fails on purpose).
import type { Engine } from '../../addon/lib/index.js';

/** `devices` is read after load: a device without room for the model drops out of the engine's list. */
export type ServerEngine = Pick<Engine, 'backend' | 'devices' | 'load'>;
