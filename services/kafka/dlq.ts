// The dead-letter topic: a message that can never become a row is produced there with its original
// bytes and key, the reason and where it came from in headers. Sent with acks=all, and awaited before
// the source offsets are committed, so a poison message is never lost (it may be sent twice after a
// crash: readers count distinct errorscope-topic/partition/offset).
import type { Producer } from 'kafkajs';

export interface DeadLetter {
  topic: string;
  partition: number;
  offset: number;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  reason: string;
}

export interface DeadLetterSink {
  send(letters: readonly DeadLetter[]): Promise<void>;
}

export const DLQ_HEADERS = {
  reason: 'errorscope-reason',
  topic: 'errorscope-topic',
  partition: 'errorscope-partition',
  offset: 'errorscope-offset',
  timestamp: 'errorscope-timestamp',
} as const;

export function kafkaDeadLetters(producer: Producer, dlqTopic: string): DeadLetterSink {
  return {
    async send(letters) {
      if (letters.length === 0) return;
      await producer.send({
        topic: dlqTopic,
        acks: -1,
        messages: letters.map((l) => ({
          key: l.key,
          value: l.value,
          headers: {
            [DLQ_HEADERS.reason]: l.reason,
            [DLQ_HEADERS.topic]: l.topic,
            [DLQ_HEADERS.partition]: String(l.partition),
            [DLQ_HEADERS.offset]: String(l.offset),
            [DLQ_HEADERS.timestamp]: l.timestamp,
          },
        })),
      });
    },
  };
}
