/** The compose runtime: the lab in containers, through `docker compose` and the Engine API. */
export { buildBaseImages, COMPOSE_PROJECT, composeFiles, composeImages, IMAGES, MONITORING_PROFILE, publishedPorts, writeComposeFiles } from './compose-file.js';
export { ComposeStack, downCompose, findComposeStack, upCompose } from './compose-stack.js';
export { composeV2, connectEngine, contextSocket } from './docker-engine.js';
