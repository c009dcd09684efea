/**
 * The Ink views are loaded only by the commands that draw them, so every other command starts
 * without React and Ink. Ink decides once, as it loads, whether it runs under CI — and then draws
 * nothing but the last frame. A view drawn on a terminal has a person in front of it: a CI
 * variable is dropped first.
 */
export async function loadViews(): Promise<typeof import('./views.js')> {
  if (process.stdout.isTTY) {
    delete process.env.CI;
    delete process.env.CONTINUOUS_INTEGRATION;
  }
  return import('./views.js');
}
