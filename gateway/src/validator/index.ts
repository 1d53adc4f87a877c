export { validator, type ValidatorOptions } from './validator.js';
