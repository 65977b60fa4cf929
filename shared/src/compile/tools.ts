// The command names moved into the one table of tools (../tools/catalogue.ts); kept here for the compiler's imports.
export { TOOLS, mkfsTool } from '../tools/catalogue';
