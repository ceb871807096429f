export { simulatorOAuthConfig } from './clientConfig.js';
export { startSimulator } from './server.js';
export { fingerprint } from './stats.js';
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
