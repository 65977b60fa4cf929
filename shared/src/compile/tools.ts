// The compiler's command names, from the one table of tools (./tool-table.ts).
export { TOOLS, mkfsTool } from './tool-table';
