export { startSimulator } from './server.js';
export type {
  Faults,
  FaultsPatch,
  IssuedTokens,
  IssueTokensOptions,
  LatencyFaults,
  Simulator,
  SimulatorOptions,
  SimulatorStats,
} from './types.js';
