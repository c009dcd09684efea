/**
 * How containers of a compose lab become the members `status` shows: the same names, kinds and
 * addresses as under the native runtime (they come from the plan), the state and health from
 * the engine. Compose labels say which service and which replica a container is.
 */
import { constants } from 'node:os';
import type Docker from 'dockerode';
import type { MemberState, MemberStatus } from '../common/index.js';
import type { PlannedMember } from '../stack-spec.js';

export const LABELS = {
  /** Set by the generated compose file on every member's container (compose-file.ts). */
  member: 'pizza-lab.member',
  /** member kinds, `tool` for the monitoring tools, `host` for the container that holds the network. */
  kind: 'pizza-lab.kind',
  project: 'com.docker.compose.project',
  service: 'com.docker.compose.service',
  number: 'com.docker.compose.container-number',
  oneoff: 'com.docker.compose.oneoff',
  configFiles: 'com.docker.compose.project.config_files',
  workingDir: 'com.docker.compose.project.working_dir',
  /** On the volumes a compose file names (not on those an image declares). */
  volume: 'com.docker.compose.volume',
} as const;

/** Compose services named after the image they run rather than after the member they are. */
const SERVICE_ALIASES: Readonly<Record<string, string>> = { toxiproxy: 'fault-proxy' };

/** The member a compose service of the generated file runs (its one instance). */
export const memberOfService = (service: string): string => SERVICE_ALIASES[service] ?? service;


/**
 * The member a container is: the member label the generated compose file sets; else its compose
 * service (`order`), or `order-2` for the second replica of a service the plan runs several of.
 * Containers outside the plan (monitoring, one-off jobs) keep their service name, numbered when
 * there are several.
 */
export function memberNameOf(labels: Readonly<Record<string, string>>, memberNames: ReadonlySet<string>): string {
  const labelled = labels[LABELS.member];
  if (labelled) return labelled;
  const service = labels[LABELS.service] ?? 'unknown';
  const name = memberOfService(service);
  const number = Number(labels[LABELS.number] ?? '1');
  if (memberNames.has(name)) return name;
  if (memberNames.has(`${name}-${number}`) || number > 1) return `${name}-${number}`;
  return name;
}

/** Exit codes above 128 mean "ended by signal (code - 128)". */
function exitMessage(code: number, oomKilled: boolean): string {
  if (oomKilled) return 'killed: out of memory';
  if (code > 128) {
    const signal = Object.entries(constants.signals).find(([, n]) => n === code - 128)?.[0];
    if (signal) return `killed by ${signal}`;
  }
  return `exited with code ${code}`;
}

/** What the last health check printed, as `: <first line>`, when it printed something. */
function lastHealthOutput(info: Docker.ContainerInspectInfo): string {
  const output = info.State.Health?.Log?.at(-1)?.Output?.trim().split('\n')[0]?.trim();
  return output ? `: ${output}` : '';
}

/** A planned member as the engine sees it; without a container it is reported stopped. */
export function memberStatusOf(member: PlannedMember, info: Docker.ContainerInspectInfo | undefined): MemberStatus {
  const base = { name: member.name, kind: member.kind, address: member.address };
  if (!info) return { ...base, state: 'stopped', healthy: false, pid: null, message: 'no container' };
  const s = info.State;
  const pid = s.Pid > 0 ? s.Pid : null;
  const health = s.Health?.Status;
  let state: MemberState;
  let healthy = false;
  let message: string | undefined;
  switch (s.Status) {
    case 'running':
      // A container without a health check is as healthy as its process is alive.
      state = health === 'starting' ? 'starting' : 'running';
      healthy = health === undefined || health === 'none' || health === 'healthy';
      if (health === 'unhealthy') message = `health check failing${lastHealthOutput(info)}`;
      break;
    case 'paused':
      state = 'paused';
      break;
    case 'restarting':
      state = 'starting';
      message = `restarting after it ${exitMessage(s.ExitCode, s.OOMKilled)}`;
      break;
    case 'removing':
      state = 'stopping';
      break;
    case 'created':
      state = 'stopped';
      // The engine's own words when it could not start the container ("unable to apply caps: …").
      message = s.Error ? `the engine could not start it: ${s.Error}` : 'created, never started';
      break;
    case 'exited':
      // `docker stop` sends SIGTERM: a process that honours it exits with 0 (or 143, 128 + SIGTERM,
      // like the JVM). Any other end is reported as the member dying.
      state = (s.ExitCode === 0 || s.ExitCode === 128 + constants.signals.SIGTERM) && !s.OOMKilled && !s.Error ? 'stopped' : 'exited';
      message = s.Error ? `the engine could not start it: ${s.Error}` : s.ExitCode === 0 ? undefined : exitMessage(s.ExitCode, s.OOMKilled);
      break;
    default:
      state = 'failed';
      message = s.Error || s.Status;
  }
  return {
    ...base,
    state,
    healthy,
    pid: state === 'running' || state === 'starting' || state === 'paused' ? pid : null,
    ...(message ? { message } : {}),
    ...(state === 'running' || state === 'starting' || state === 'paused' ? { startedAt: s.StartedAt } : {}),
  };
}
