/** The room simulator's public API (see README.md). */
export { directConvolve, PartitionedConvolver } from './convolver.js';
export type { NoiseType } from './noise.js';
export { type RecordOptions, type RoomRecording, recordRoom } from './record.js';
export { syntheticRir } from './rir.js';
export { RoomDevice, type RoomDeviceOptions, type RoomTruth } from './room-device.js';
export {
  type EchoPathSpec,
  type NoiseSpec,
  type ResolvedScenario,
  type RoomScenario,
  resolveScenario,
  ScenarioError,
  type TalkerSpec,
} from './scenario.js';
