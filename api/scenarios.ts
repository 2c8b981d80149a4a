/** The built-in catalogue by name, for tests that go over all of it. */
import { catalogNames } from '../scenario/catalog.js';

/**
 * The names of the built-in scenarios (catalog/*.pincow), sorted; each
 * loads with `loadScenario(name)`.
 */
export function scenarios(): string[] {
  return catalogNames();
}
