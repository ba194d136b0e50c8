import './base.css';
import './runs.css';
import './history.css';
import './compare.css';
import './reproduce.css';
