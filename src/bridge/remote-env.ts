import type { AsyncEnv, EnvMetadata, EnvSpec, Info, ResetArgs, ResetResult, StepResult } from '../core/env.js';
import type { Space } from '../core/spaces/space.js';
import { ClosedError, InvalidArgument, ResetNeeded, formatError, describeValue } from '../core/errors.js';
import { ActionGuard, type GuardFault } from './action-guard.js';
import { BridgeDisconnectedError, BridgeProtocolError, BridgeTimeoutError } from './errors.js';
import { fromObservationSource } from '../streams/from-observation-source.js';

/** How the server talks to one connected robot (lamkit protocol or rosbridge). */
export interface RobotLink {
  sendReset(seq: number, seed: number | undefined): void;
  /** `action` is the guarded flat action, `Float64Array [actDim]`, valid only during the call. */
  sendAction(seq: number, action: Float64Array): void;
  sendEpisodeEnd(seq: number, reason: string): void;
  sendEstop(reason: string): void;
  close(code: number, reason: string): void;
}

/** An observation as it arrived from the robot (also what `observations$` streams). */
export interface RobotObservationEvent {
  robotId: string;
  seq: number;
  /** Flat observation, `Float32Array [obsDim]` (fresh per message). */
  obs: Float32Array;
  reward: number;
  terminated: boolean;
  truncated: boolean;
  /** Server clock (performance.now(), ms) when it arrived. */
  receivedMs: number;
  /** The robot's own info (JSON `obs` messages only), merged into the step's info. */
  info?: Record<string, unknown>;
}

/** A safety intervention: the policy's action was replaced by the safe action. */
export interface SafetyEvent {
  robotId: string;
  seq: number;
  fault: Exclude<GuardFault, null>;
  detail: string;
}

/** Deadlines of a `RemoteEnv` (documented defaults). */
export interface RemoteEnvTimeouts {
  /** `step` rejects when no observation arrives within this many ms. Default 1000. */
  stepTimeoutMs: number;
  /** `reset` rejects when the first observation does not arrive within this many ms. Default 5000. */
  resetTimeoutMs: number;
  /** A `reset` while the robot is disconnected waits this long for it to reconnect. Default 10000. */
  reconnectGraceMs: number;
}

interface Pending {
  seq: number;
  kind: 'reset' | 'step';
  resolve: (ev: RobotObservationEvent) => void;
  reject: (err: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * One connected robot seen as an `AsyncEnv` (server side). `step(action)`
 * guards the action (clipped to the announced Box; non-finite or invalid
 * actions are replaced by the safe action and reported to `onSafety`
 * listeners), sends it, and resolves with the robot's next observation.
 *
 * - No observation within `stepTimeoutMs`: `step` rejects with
 *   `BridgeTimeoutError`; the episode is over (truncated): the robot gets an
 *   `episode_end` and the next call must be `reset()`.
 * - The robot disconnects: the pending call rejects with
 *   `BridgeDisconnectedError`. The same `RemoteEnv` is re-attached when a
 *   robot with the same id reconnects; `reset()` waits `reconnectGraceMs` for it.
 * - `emergencyStop()` sends `estop` at once (not waiting for the next step).
 */
export class RemoteEnv<Obs = unknown, Act = unknown> implements AsyncEnv<Obs, Act> {
  readonly robotId: string;
  readonly observationSpace: Space<Obs>;
  readonly actionSpace: Space<Act>;
  readonly controlRateHz: number;
  readonly metadata: EnvMetadata;
  spec?: EnvSpec;
  readonly guard: ActionGuard;
  private readonly timeouts: RemoteEnvTimeouts;
  private link: RobotLink | null = null;
  private seq = 0;
  private pending: Pending | null = null;
  private needsReset = true;
  private closed = false;
  /** Called with null on attach or close, or with the error an emergency stop ends the wait with. */
  private attachWaiters: Array<(err: Error | null) => void> = [];
  private readonly obsListeners = new Set<(ev: RobotObservationEvent) => void>();
  private readonly safetyListeners = new Set<(ev: SafetyEvent) => void>();
  private readonly endListeners = new Set<() => void>();
  private readonly flatAction: Float64Array;

  /** With `paceToControlRate`, actions are sent at most at `controlRateHz` (performance.now() of the last one). */
  private readonly pacePeriodMs: number;
  private lastActionMs = -Infinity;

  /**
   * @param options.paceToControlRate send actions no faster than the robot's announced control rate
   *   (`step` waits for the rest of the period); default false: lockstep only, bounded by the robot's answers.
   */
  constructor(
    robotId: string,
    observationSpace: Space<Obs>,
    actionSpace: Space<Act>,
    controlRateHz: number,
    safeAction: ArrayLike<number>,
    timeouts: Partial<RemoteEnvTimeouts> = {},
    options: { paceToControlRate?: boolean } = {},
  ) {
    this.pacePeriodMs = options.paceToControlRate ? 1000 / controlRateHz : 0;
    this.robotId = robotId;
    this.observationSpace = observationSpace;
    this.actionSpace = actionSpace;
    this.controlRateHz = controlRateHz;
    this.metadata = { renderModes: [], renderFps: controlRateHz, robotId };
    this.guard = new ActionGuard(actionSpace as Space<unknown>, safeAction, `RemoteEnv(${robotId})`);
    this.flatAction = new Float64Array(this.guard.actDim);
    this.timeouts = { stepTimeoutMs: 1000, resetTimeoutMs: 5000, reconnectGraceMs: 10000, ...timeouts };
    for (const [k, v] of Object.entries(this.timeouts)) {
      if (!(typeof v === 'number' && v > 0)) throw new InvalidArgument(formatError(`RemoteEnv.${k}`, 'a positive number of ms', describeValue(v), 'Pass e.g. 1000'));
    }
  }

  /** True while a robot is attached. */
  get connected(): boolean {
    return this.link !== null;
  }

  /** @internal Called by the server when a robot with this id completes its handshake. */
  attach(link: RobotLink): void {
    this.link = link;
    this.needsReset = true;
    this.wakeAttachWaiters(null);
  }

  /** @internal Called by the server when the robot's connection closes. */
  detach(reason: string): void {
    this.link = null;
    this.needsReset = true;
    this.failPending(new BridgeDisconnectedError(formatError(`RemoteEnv(${this.robotId}).${this.pending?.kind ?? 'step'}`, 'the robot to stay connected until it answered', `a disconnect (${reason})`, 'The episode ended; call reset(), which waits for the robot to reconnect')));
  }

  async reset(args: ResetArgs = {}): Promise<ResetResult<Obs>> {
    this.checkOpen('reset');
    if (this.pending) throw new InvalidArgument(formatError(`RemoteEnv(${this.robotId}).reset`, 'no call in flight', `a pending ${this.pending.kind}`, 'Await each step/reset before the next'));
    if (!this.link) await this.waitForAttach();
    const ev = await this.request('reset', this.timeouts.resetTimeoutMs, (link, seq) => link.sendReset(seq, args.seed));
    this.needsReset = false;
    return { obs: this.observationSpace.unflatten(ev.obs), info: { ...ev.info, robotId: this.robotId, seq: ev.seq } };
  }

  async step(action: Act): Promise<StepResult<Obs>> {
    this.checkOpen('step');
    if (this.needsReset) {
      throw new ResetNeeded(formatError(`RemoteEnv(${this.robotId}).step`, 'reset() before step()', 'step() at the start or after the end of an episode', 'Call reset() first'));
    }
    if (this.pending) throw new InvalidArgument(formatError(`RemoteEnv(${this.robotId}).step`, 'no call in flight', `a pending ${this.pending.kind}`, 'Await each step before the next'));
    if (this.pacePeriodMs > 0) {
      // Actions on a fixed grid of periods (timer lateness does not accumulate); a step more than a period late starts a new grid.
      const now = performance.now();
      const due = this.lastActionMs + this.pacePeriodMs;
      if (due > now) {
        await new Promise((resolve) => setTimeout(resolve, Math.ceil(due - now)));
        this.checkOpen('step');
        // An emergency stop or a disconnect while waiting ended the episode: the action must not go out.
        if (this.needsReset) throw new BridgeDisconnectedError(formatError(`RemoteEnv(${this.robotId}).step`, 'the episode to go on while the step waited for its control period', 'an emergency stop or a disconnect', 'Call reset() to resume'), 'EMERGENCY_STOP');
      }
      this.lastActionMs = due >= now - this.pacePeriodMs ? due : now;
    }
    const fault = this.guard.guard(action, this.flatAction);
    const seq = this.seq + 1;
    if (fault !== null) this.emitSafety({ robotId: this.robotId, seq, fault, detail: this.guard.lastFaultDetail });
    const ev = await this.request('step', this.timeouts.stepTimeoutMs, (link, s) => link.sendAction(s, this.flatAction));
    if (ev.terminated || ev.truncated) this.needsReset = true;
    const info: Info = { ...ev.info, robotId: this.robotId, seq: ev.seq };
    if (fault !== null) info.safetyFault = fault;
    return { obs: this.observationSpace.unflatten(ev.obs), reward: ev.reward, terminated: ev.terminated, truncated: ev.truncated, info };
  }

  /**
   * Sends `estop` now; a pending call rejects (a `reset()` waiting for the
   * robot to reconnect included), and only `reset()` resumes.
   */
  emergencyStop(reason = 'emergency stop'): void {
    this.link?.sendEstop(reason);
    this.needsReset = true;
    this.failPending(new BridgeDisconnectedError(formatError(`RemoteEnv(${this.robotId}).${this.pending?.kind ?? 'step'}`, 'an observation', `an emergency stop (${reason})`, 'Call reset() to resume'), 'EMERGENCY_STOP'));
    if (this.attachWaiters.length > 0) {
      this.wakeAttachWaiters(new BridgeDisconnectedError(formatError(`RemoteEnv(${this.robotId}).reset`, 'the robot to reconnect', `an emergency stop (${reason})`, 'Call reset() to resume'), 'EMERGENCY_STOP'));
    }
  }

  /**
   * @internal The connection received an observation. Throws
   * `BridgeProtocolError('UNEXPECTED_SEQ')` when nothing with that seq is pending.
   */
  receiveObservation(ev: RobotObservationEvent): void {
    this.notifyObservation(ev);
    const p = this.pending;
    if (!p || p.seq !== ev.seq) {
      throw new BridgeProtocolError(
        'UNEXPECTED_SEQ',
        formatError(`RemoteEnv(${this.robotId}).obs.seq`, p ? `seq ${p.seq} (answering the pending ${p.kind})` : 'no observation: nothing is pending', String(ev.seq), 'Answer each reset/action once, with its seq'),
      );
    }
    if (ev.obs.length !== this.observationSpace.flatDim) {
      throw new BridgeProtocolError('BAD_OBSERVATION', formatError(`RemoteEnv(${this.robotId}).obs.obs`, `${this.observationSpace.flatDim} numbers for ${this.observationSpace.toString()}`, `${ev.obs.length} numbers`, 'Send observationSpace.flatten(obs)'));
    }
    this.pending = null;
    clearTimeout(p.timer);
    p.resolve(ev);
  }

  /** @internal Passes an observation to `onObservation` listeners only (unsolicited, e.g. a free-running ROS topic). */
  notifyObservation(ev: RobotObservationEvent): void {
    for (const l of this.obsListeners) l(ev);
  }

  /** The seq of the request awaiting an observation, or null. */
  get pendingSeq(): number | null {
    return this.pending?.seq ?? null;
  }

  /** @internal The robot ended the episode on its own (`episode_end`): the pending call resolves truncated. */
  receiveEpisodeEnd(seq: number, reason: string): void {
    this.needsReset = true;
    const p = this.pending;
    if (p && p.seq === seq) {
      // The reason comes from the robot: quoted, so it cannot forge lines where the error is logged.
      this.failPending(new BridgeDisconnectedError(formatError(`RemoteEnv(${this.robotId}).${p.kind}`, 'an observation', `episode_end from the robot (reason ${JSON.stringify(reason)})`, 'Call reset() to start a new episode')));
    }
  }

  /** Subscribes to every observation that arrives; returns the unsubscribe function. */
  onObservation(listener: (ev: RobotObservationEvent) => void): () => void {
    this.obsListeners.add(listener);
    return () => this.obsListeners.delete(listener);
  }

  /**
   * Hot RxJS Observable of every observation that arrives (see
   * `fromObservationSource` for the backpressure note), e.g.
   * `robot.observations$().pipe(sampleLatest(100))` for a dashboard.
   */
  observations$(): ReturnType<typeof fromObservationSource<RobotObservationEvent>> {
    return fromObservationSource<RobotObservationEvent>(this);
  }

  /** Called once when the env is closed (observation streams complete then). */
  onEnd(listener: () => void): () => void {
    if (this.closed) {
      listener();
      return () => {};
    }
    this.endListeners.add(listener);
    return () => this.endListeners.delete(listener);
  }

  /** Subscribes to safety interventions (non-finite or invalid actions replaced). */
  onSafety(listener: (ev: SafetyEvent) => void): () => void {
    this.safetyListeners.add(listener);
    return () => this.safetyListeners.delete(listener);
  }

  /** Detaches from the robot (its socket is closed) and rejects any pending call. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const link = this.link;
    this.link = null;
    this.failPending(new BridgeDisconnectedError(`RemoteEnv(${this.robotId}).close: expected no pending call, got close() while one was in flight.`, 'CLOSED'));
    this.wakeAttachWaiters(null);
    link?.close(1000, 'RemoteEnv closed');
    for (const l of this.endListeners) l();
    this.endListeners.clear();
  }

  /** True after `close()`. */
  get isClosed(): boolean {
    return this.closed;
  }

  private checkOpen(method: string): void {
    if (this.closed) throw new ClosedError(formatError(`RemoteEnv(${this.robotId}).${method}`, 'an open env', 'a closed one', 'Create a new server/env'));
  }

  private emitSafety(ev: SafetyEvent): void {
    for (const l of this.safetyListeners) l(ev);
  }

  private wakeAttachWaiters(err: Error | null): void {
    const waiters = this.attachWaiters;
    this.attachWaiters = [];
    for (const w of waiters) w(err);
  }

  private waitForAttach(): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.attachWaiters = this.attachWaiters.filter((w) => w !== done);
        reject(new BridgeDisconnectedError(formatError(`RemoteEnv(${this.robotId}).reset`, `the robot to reconnect within ${this.timeouts.reconnectGraceMs} ms`, 'no connection', 'Check the robot process and network')));
      }, this.timeouts.reconnectGraceMs);
      const done = (err: Error | null): void => {
        clearTimeout(timer);
        if (err) reject(err);
        else if (this.closed) reject(new ClosedError(`RemoteEnv(${this.robotId}).reset: expected an open env, got close() while waiting for the robot.`));
        else resolve();
      };
      this.attachWaiters.push(done);
    });
  }

  /**
   * Resolves true once a robot is attached (at once when one is), false when
   * the env closes or `signal` aborts first. No deadline: for loops that
   * wait for a robot to come back (the policy server) without polling.
   */
  whenConnected(signal?: AbortSignal): Promise<boolean> {
    if (this.closed || signal?.aborted) return Promise.resolve(false);
    if (this.link) return Promise.resolve(true);
    return new Promise((resolve) => {
      const onAbort = (): void => {
        this.attachWaiters = this.attachWaiters.filter((w) => w !== done);
        resolve(false);
      };
      const done = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve(!this.closed && this.link !== null);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.attachWaiters.push(done);
    });
  }

  private request(kind: 'reset' | 'step', timeoutMs: number, send: (link: RobotLink, seq: number) => void): Promise<RobotObservationEvent> {
    const link = this.link;
    if (!link) {
      this.needsReset = true;
      return Promise.reject(new BridgeDisconnectedError(formatError(`RemoteEnv(${this.robotId}).${kind}`, 'a connected robot', 'none (it disconnected)', 'Call reset(), which waits for the robot to reconnect')));
    }
    const seq = ++this.seq;
    return new Promise<RobotObservationEvent>((resolve, reject) => {
      const timer = setTimeout(() => this.onTimeout(seq, timeoutMs), timeoutMs);
      this.pending = { seq, kind, resolve, reject, timer };
      send(link, seq);
    });
  }

  private onTimeout(seq: number, timeoutMs: number): void {
    const p = this.pending;
    if (!p || p.seq !== seq) return;
    this.needsReset = true;
    this.link?.sendEpisodeEnd(seq, 'timeout');
    this.failPending(
      new BridgeTimeoutError(
        formatError(`RemoteEnv(${this.robotId}).${p.kind}`, `an observation within ${timeoutMs} ms`, 'none', 'The episode ended (truncated); check the robot, then call reset()'),
      ),
    );
  }

  private failPending(err: Error): void {
    const p = this.pending;
    if (!p) return;
    this.pending = null;
    clearTimeout(p.timer);
    p.reject(err);
  }
}
