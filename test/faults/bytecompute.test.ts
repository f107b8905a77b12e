/** The fault matrix for the bytecompute provider against its simulator (see matrix.ts). */
import { defineFaultMatrix } from './matrix';
import { KITS } from './kit';

defineFaultMatrix(KITS.bytecompute);
