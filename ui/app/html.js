// htm: JSX-like tagged templates that run as they are, no build step (see README, Layout).
import { h } from 'preact';
import htm from 'htm';

export const html = htm.bind(h);
