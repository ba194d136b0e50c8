import './base.css';
import './runs.css';
import './history.css';
import './compare.css';
import './notifications.css';
import './runsTable.css';
import './reproduce.css';
