import { x } from '@app/rtp';
console.log('hello', x);
