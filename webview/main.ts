import { App } from './app.js';
import { connectHost } from './host.js';

new App(connectHost()).start();
