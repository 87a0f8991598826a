/**
 * The JobMaster's errors, each with a stable `code`. Their messages reach the
 * user through the operation or job failure cause.
 */
import { EbbflowError } from '../runtime/errors.js';

/** A rescale failed after its checkpoint was triggered: the job must restart from its latest completed checkpoint. */
export class RescaleFailedAfterSwitch extends EbbflowError {
  override readonly code = 'EBBFLOW_RESCALE_FAILED_AFTER_SWITCH';
}

/** No TaskManager could be reserved for an autoscaler scale-up (the dispatcher's TaskManager limits): the scale-up is unsatisfiable. */
export class CapacityRefused extends EbbflowError {
  override readonly code = 'EBBFLOW_CAPACITY_REFUSED';
}
