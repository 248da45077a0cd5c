// What /ready says about Kafka ingest when it runs in the same process (errorscope start).
import { Type } from 'typebox';

export interface KafkaReadiness {
  state(): {
    state: 'starting' | 'running' | 'retrying' | 'stopped';
    reason: string | null;
    failedAttempts: number;
    nextAttemptAt: string | null;
    topic: string;
  };
  /** Null when consuming, else why not. */
  notReadyReason(): string | null;
}

const KafkaState = Type.Object(
  {
    state: Type.Union([
      Type.Literal('starting'),
      Type.Literal('running'),
      Type.Literal('retrying'),
      Type.Literal('stopped'),
    ]),
    reason: Type.Union([Type.String(), Type.Null()], {
      description: 'why Kafka ingest is not consuming; null when it is',
    }),
    failedAttempts: Type.Integer({ description: 'failed start attempts since the last successful start' }),
    nextAttemptAt: Type.Union([Type.String(), Type.Null()], { description: 'next attempt (ISO time) while retrying' }),
    topic: Type.String(),
  },
  { description: 'Kafka ingest in this process (only when KAFKA_BROKERS is set)' },
);

export const ReadyResponse = Type.Object({ status: Type.String(), kafka: Type.Optional(KafkaState) });
