import { startMissingServices } from './containers';

export default startMissingServices;
