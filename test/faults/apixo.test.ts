/** The fault matrix for the apixo provider against its simulator (see matrix.ts). */
import { defineFaultMatrix } from './matrix';
import { KITS } from './kit';

defineFaultMatrix(KITS.apixo);
