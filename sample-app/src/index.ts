export { app, web, Api, LIMITS } from './app.js';
