/** The tests use the chaos run's hung storage (chaos/hung-storage.ts): one implementation of a real hang. */
export { HungStorage } from '../../chaos/hung-storage.js';
