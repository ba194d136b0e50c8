import './base.css';
import './runs.css';
import './history.css';
