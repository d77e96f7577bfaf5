import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';
import { followTheme } from './lib/theme';

followTheme();

const target = document.getElementById('app');
if (!target) throw new Error('index.html lacks #app');
export default mount(App, { target });
