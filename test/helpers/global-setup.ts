// Integration-test setup: filled in by the Kafka broker work (starts or finds the real broker).
export default async function setup(): Promise<void> {}
