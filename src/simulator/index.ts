// Public surface of the UCWA simulator.
export { UcwaSimulator } from './simulator';
export type { SimulatorOptions } from './options';
export { DEFAULT_OPTIONS } from './options';
export { demoUsers, generatedUsers, loadUsersFile, DEMO_PASSWORD } from './users';
export type { SimUser } from './users';
