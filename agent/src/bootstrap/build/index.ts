export { buildBootstrap, HOST_BUILD_TOOLS, type BuildDeps, type BuildResult } from './build';
export { resolveBuildOptions, parseConfigFile, parseRepo, formatRepo, redactProxy, BuildOptions, BuildConfigFile, type BuildOptionsT, type BuildFlags, type Repo } from './options';
export { aptPreferences, effectiveRepos, defaultRepos, proxyAptOptions, proxyFor, isDirect, sourcesLines } from './apt';
export { buildMetadata, metadataYaml, recordedOptions, imageKopts, liveKopts, archiveFiles } from './metadata';
export { imagePackages, agentToolPackages, REQUIRED_MODULES, TRIMMED_MODULE_TREES } from './contents';
export { KEEP_DRIVERS_WARNING, BuildProgress } from './progress';
