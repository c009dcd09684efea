export { freePortBlock, privateLabPorts as labPorts } from '../../cli/lib/ports.js';
