import { stopStartedServices } from './containers';

export default stopStartedServices;
